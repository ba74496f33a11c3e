import factory
from django.contrib.auth import get_user_model

from proctoring.courses.models import Course, CourseRole
from proctoring.exams.models import Exam


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        django_get_or_create = ("username",)

    username = factory.Sequence(lambda n: f"user{n}")
    email = factory.LazyAttribute(lambda u: f"{u.username}@example.org")


class CourseFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Course
        django_get_or_create = ("course_id",)

    course_id = factory.Sequence(lambda n: f"course-v1:Org+Num{n}+Run")
    display_name = factory.Sequence(lambda n: f"Course {n}")


class CourseRoleFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = CourseRole

    user = factory.SubFactory(UserFactory)
    course = factory.SubFactory(CourseFactory)
    role = CourseRole.Role.STAFF


class ExamFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Exam

    course = factory.SubFactory(CourseFactory)
    content_id = factory.Sequence(lambda n: f"block-v1:exam{n}")
    exam_name = factory.Sequence(lambda n: f"Exam {n}")
    time_limit_mins = 90
    is_proctored = True
    is_practice_exam = False
    is_active = True
