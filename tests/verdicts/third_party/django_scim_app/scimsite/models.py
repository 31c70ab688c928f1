"""User and Group models with django-scim2's mixins, as its own test models define them."""

from django.contrib.auth.models import AbstractUser
from django.db import models
from django_scim.models import AbstractSCIMGroupMixin, AbstractSCIMUserMixin


class Group(AbstractSCIMGroupMixin):
    name = models.CharField("name", max_length=80, unique=True)


class User(AbstractSCIMUserMixin, AbstractUser):
    # django-scim2's default adapters read a user's groups from scim_groups and a group's
    # members from user_set
    scim_groups = models.ManyToManyField(Group, related_name="user_set")
